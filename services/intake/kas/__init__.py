"""KaS suppliers ' own registration of inquiries."""
