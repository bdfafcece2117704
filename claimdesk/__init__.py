"""claimdesk: case management for a car dealership's after-sales department."""
