from services.kernel.runtime import run_service
from services.visitation.main import SPEC

run_service(SPEC)
