"""libya_qa: verbatim, cited answers from a curated corpus about Libya since 2011."""

__version__ = "0.1.0"
