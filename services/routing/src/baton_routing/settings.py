from pathlib import Path

from baton_runtime.settings import ServiceSettings
from pydantic import Field

DEFAULT_CATALOG = Path(__file__).parent / "catalog" / "default.yaml"


class Settings(ServiceSettings):
    service = "routing"
    port: int = 8002
    # The department catalog and ordered rules (YAML); see catalog/default.yaml.
    catalog_path: Path = DEFAULT_CATALOG
    # Below this calibrated confidence (the chance that the proposal is right) the
    # learned router's proposal is not trusted and customer_service triages the issue;
    # a department's own min_confidence in the catalog overrides it
    # (BATON_ROUTER_MIN_CONFIDENCE; bench/routing shows the trade-off).
    router_min_confidence: float = Field(default=0.35, ge=0.0, le=1.0)
    # Off: no learned router; only rules route, everything else goes to customer_service.
    router_enabled: bool = True
    # Off: the learned router uses the text model alone and loads no embedding model
    # (BATON_ROUTER_EMBEDDINGS).
    router_embeddings: bool = True
    # Routings per issue (the first included) before a reroute goes to customer_service
    # as a silo alarm (BATON_MAX_ROUTING_ATTEMPTS).
    max_routing_attempts: int = Field(default=3, ge=1)
