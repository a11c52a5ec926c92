"""``python -m alert_service``: the faust worker with the forecast API, configured from ALERT_SERVICE_* variables."""

from alert_service.bootstrap import AlertService
from alert_service.settings import AlertServiceSettings


def main() -> None:
    AlertService(AlertServiceSettings()).run()


if __name__ == "__main__":
    main()
