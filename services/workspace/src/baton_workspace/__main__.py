from baton_runtime.service import serve

from baton_workspace.app import create_app
from baton_workspace.settings import Settings


def main() -> None:
    serve(create_app, Settings())


if __name__ == "__main__":
    main()
