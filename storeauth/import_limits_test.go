package storeauth

import (
	"testing"

	"github.com/hashless/hashless/storeauth/importer"
)

// The importer checks rows against the API's limits, so every imported customer can later
// edit their profile; the two sets of numbers must not drift apart.
func TestImportLimitsMatchTheAPI(t *testing.T) {
	for name, pair := range map[string][2]int{
		"e-mail":   {importer.MaxEmailLength, maxEmailLength},
		"name":     {importer.MaxNameLength, maxNameLength},
		"phone":    {importer.MaxPhoneLength, maxPhoneLength},
		"metadata": {importer.MaxMetadataBytes, maxMetadataBytes},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s: the importer allows %d, the API %d", name, pair[0], pair[1])
		}
	}
	if !importer.SafeID(NewCustomerID()) || len(NewCustomerID()) != 30 {
		t.Errorf("a new customer ID is not one an import keeps: %s", NewCustomerID())
	}
}
