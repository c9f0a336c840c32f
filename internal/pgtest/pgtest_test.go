package pgtest

import (
	"context"
	"github.com/jackc/pgx/v5"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }
func TestStart(t *testing.T) {
	u := URL(t)
	c, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	c.QueryRow(context.Background(), "select 1").Scan(&n)
	if n != 1 {
		t.Fatal(n)
	}
	c.Close(context.Background())
}
