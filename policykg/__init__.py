"""policykg: a knowledge graph of Chinese trade-union policy.

The code lives in sub-packages that mirror the repository layout:
``policykg.build`` (the pipeline in ``build/``), ``policykg.api`` (``api/``).
"""

__version__ = "0.1.0"
