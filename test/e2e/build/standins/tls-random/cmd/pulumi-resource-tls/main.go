// pulumi-resource-tls: the STAND-IN tls provider of the e2e tests (see package standin).
package main

import "spinnaker-mtls/e2e/tls-random/standin"

func main() { standin.Serve(standin.TLS()) }
