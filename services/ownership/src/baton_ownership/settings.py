from baton_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service = "ownership"
    port: int = 8003
