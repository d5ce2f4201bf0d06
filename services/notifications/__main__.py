from services.kernel.runtime import run_service
from services.notifications.main import SPEC

run_service(SPEC)
