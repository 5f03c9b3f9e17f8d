"""A development identity provider (OpenID Connect) for Baton's local runs."""
