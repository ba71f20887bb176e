// Package mototest runs moto's server (moto_server, Python) as a second, independent
// implementation of the Cognito API for this module's tests, so that behaviour asserted
// against `hashless pool` is also checked against someone else's reading of AWS.
//
// One server is shared by all tests of a package: Start it from TestMain and Stop it after
// m.Run. Tests call Require, which skips when moto_server is not installed, except under
// CI=true, where a missing moto is a failure so that CI cannot pass by running less.
package mototest
