"""gunicorn settings for bench/load.py (workers, bind and worker class come from its command line)."""
accesslog = None  # an access log line per request costs CPU the benchmark wants to measure elsewhere
errorlog = "-"
loglevel = "warning"
timeout = 30
graceful_timeout = 10
