from baton_runtime.service import serve

from baton_routing.app import create_app
from baton_routing.settings import Settings


def main() -> None:
    serve(create_app, Settings())


if __name__ == "__main__":
    main()
