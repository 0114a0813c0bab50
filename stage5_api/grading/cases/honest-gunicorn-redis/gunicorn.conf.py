bind = "0.0.0.0:8080"
workers = 2
worker_class = "uvicorn.workers.UvicornWorker"
graceful_timeout = 20
timeout = 120  # loading the model can take a while on a busy node
accesslog = None
worker_tmp_dir = "/dev/shm"  # the root filesystem is read-only in the cluster
