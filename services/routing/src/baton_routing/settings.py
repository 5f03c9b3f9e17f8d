from pathlib import Path

from baton_runtime.settings import ServiceSettings
from pydantic import Field

DEFAULT_CATALOG = Path(__file__).parent / "catalog" / "default.yaml"


class Settings(ServiceSettings):
    service = "routing"
    port: int = 8002
    # The department catalog and ordered rules (YAML); see catalog/default.yaml.
    catalog_path: Path = DEFAULT_CATALOG
    # Below this confidence the classifier's proposal is not trusted and
    # customer_service triages the issue (BATON_ROUTER_MIN_CONFIDENCE).
    router_min_confidence: float = Field(default=0.7, ge=0.0, le=1.0)
    # Off: no classifier; only rules route, everything else goes to customer_service.
    router_enabled: bool = True
    # Routings per issue (the first included) before a reroute goes to customer_service
    # as a silo alarm (BATON_MAX_ROUTING_ATTEMPTS).
    max_routing_attempts: int = Field(default=3, ge=1)
