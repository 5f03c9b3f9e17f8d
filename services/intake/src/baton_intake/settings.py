from baton_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service = "intake"
    port: int = 8001
