from services.intake.main import SPEC
from services.kernel.runtime import run_service

run_service(SPEC)
