"""The record of devices: models, lifecycle rules, intake and scan resolution. No Flask."""
