"""The HTTP edge: routers with top-level handlers, typed dependencies, one error handler, limits and metrics.

`libya_qa.app.create_app` assembles these; nothing here is imported by the layers below.
"""
