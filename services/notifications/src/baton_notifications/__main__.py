from baton_runtime.service import serve

from baton_notifications.app import create_app
from baton_notifications.settings import Settings


def main() -> None:
    serve(create_app, Settings())


if __name__ == "__main__":
    main()
