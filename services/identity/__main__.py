from services.identity.main import SPEC
from services.kernel.runtime import run_service

run_service(SPEC)
