"""wbtool: performance self-evaluation workbooks — specs, engine, template, checks."""
__version__ = "0.1.0"
