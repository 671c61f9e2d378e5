// Command etcd-embed runs an embedded etcd (the version kube-apiserver is built with, see go.mod) for the local test control plane.
//
// Usage: etcd-embed DATA_DIR CLIENT_URL PEER_URL
// Debian's etcd 3.4 lacks RequestWatchProgress, which makes informers misbehave,
// so the harness builds this server from the module proxy instead.
package main

import (
	"log"
	"net/url"
	"os"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: etcd-embed DATA_DIR CLIENT_URL PEER_URL")
	}
	cfg := embed.NewConfig()
	cfg.Dir = os.Args[1]
	cu, err := url.Parse(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	pu, err := url.Parse(os.Args[3])
	if err != nil {
		log.Fatal(err)
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.Name + "=" + pu.String()
	cfg.UnsafeNoFsync = true // test data only; fsync dominates latency on shared disks
	cfg.LogLevel = "warn"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	<-e.Server.ReadyNotify()
	log.Printf("embedded etcd ready on %s", cu)
	log.Fatal(<-e.Err())
}
