package config

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestTrustedProxyFromEnvAndFlag(t *testing.T) {
	t.Setenv("MAMORI_TRUSTED_PROXY", " 10.0.0.0/8, 192.0.2.10 ,2001:db8::/32,::ffff:198.51.100.7")
	c := Default()
	c.FromEnv()
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.10/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("198.51.100.7/32")}
	if got := c.TrustedProxies(); !reflect.DeepEqual(got, want) {
		t.Errorf("TrustedProxies() = %v, want %v", got, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if c.Redacted()["trusted_proxy"] != c.TrustedProxy {
		t.Errorf("trusted proxies missing from the logged configuration")
	}
}

func TestTrustedProxyInvalid(t *testing.T) {
	for _, bad := range []string{"proxy.example", "10.0.0.0/33", "10.0.0.1:80", "fe80::1%eth0", "10.0.0.0/8, x"} {
		c := Default()
		c.TrustedProxy = bad
		if err := c.Validate(); err == nil {
			t.Errorf("%q accepted", bad)
		}
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) accepted", bad)
		}
	}
	c := Default()
	if err := c.Validate(); err != nil || len(c.TrustedProxies()) != 0 {
		t.Errorf("default trusts proxies: %v %v", c.TrustedProxies(), err)
	}
}
