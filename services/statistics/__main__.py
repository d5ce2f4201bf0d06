from services.kernel.runtime import run_service
from services.statistics.main import SPEC

run_service(SPEC)
