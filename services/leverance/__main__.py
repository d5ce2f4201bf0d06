from services.kernel.runtime import run_service
from services.leverance.main import SPEC

run_service(SPEC)
