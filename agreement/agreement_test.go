package agreement

import (
	"testing"
)

func TestExample(t *testing.T) {
	a, err := Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Log(a.Hash())
}
