from pathlib import Path

from baton_shared.settings import ServiceSettings

DEFAULT_CATALOG = Path(__file__).parent / "catalog" / "default.yaml"


class Settings(ServiceSettings):
    service = "routing"
    port: int = 8002
    # The department catalog and ordered rules (YAML); see catalog/default.yaml.
    catalog_path: Path = DEFAULT_CATALOG
