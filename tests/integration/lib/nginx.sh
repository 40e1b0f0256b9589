# Debian's nginx in a test's work directory (sourced after common.sh).

# nginx_conf DIR PORT WORKERS: write DIR/nginx.conf (creating DIR/logs and
# DIR/tmp) for a master with WORKERS workers, in the foreground (daemon
# off), answering "hello" on 127.0.0.1:PORT; its pid file, error log (level
# info) and temporary files stay under DIR. Run it with
# `nginx -e stderr -p DIR -c DIR/nginx.conf`.
nginx_conf() {
    local dir=$1 port=$2 workers=$3
    mkdir -p "$dir/logs" "$dir/tmp"
    cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        location / { return 200 "hello\n"; }
    }
}
CONF
}
