"""oms-graph: a headless order-management system for retail chains."""

__version__ = "0.1.0"
