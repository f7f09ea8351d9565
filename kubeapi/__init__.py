"""The Kubernetes HTTP API of each sandbox, for kubectl and the Python client."""
