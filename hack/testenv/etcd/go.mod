module local/etcdembed

go 1.25.0

require go.etcd.io/etcd/server/v3 v3.6.8
