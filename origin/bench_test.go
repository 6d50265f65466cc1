package origin

import (
	"bytes"
	"context"
	"strconv"
	"testing"
)

func BenchmarkCreateVideo(b *testing.B) {
	c := openTestCatalog(b, b.TempDir())
	defer c.Close()
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.CreateVideo(ctx, Video{Name: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVideoByShortUUID(b *testing.B) {
	c := openTestCatalog(b, b.TempDir())
	defer c.Close()
	ctx := context.Background()
	var refs []string
	for i := range 1000 {
		v, err := c.CreateVideo(ctx, Video{Name: "v" + strconv.Itoa(i), Renditions: make([]Rendition, 5)})
		if err != nil {
			b.Fatal(err)
		}
		refs = append(refs, v.ShortUUID)
	}
	i := 0
	for b.Loop() {
		if _, err := c.Video(ctx, refs[i%len(refs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkVideosPage(b *testing.B) {
	c := openTestCatalog(b, b.TempDir())
	defer c.Close()
	ctx := context.Background()
	for range 1000 {
		if _, err := c.CreateVideo(ctx, Video{Name: "v", Renditions: make([]Rendition, 5)}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, total, err := c.Videos(ctx, 0, 15); err != nil || total != 1000 {
			b.Fatal(total, err)
		}
	}
}

func BenchmarkReceiveCommit8MiB(b *testing.B) {
	env := newTestEnv(b, 1<<30, func(context.Context, string) (float64, error) { return 1, nil })
	file := make([]byte, 8<<20)
	b.SetBytes(int64(len(file)))
	ctx := context.Background()
	for b.Loop() {
		f, err := env.intake.Receive(ctx, bytes.NewReader(file))
		if err == nil {
			_, err = env.intake.Commit(ctx, f, Metadata{Name: "bench"})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckToken(b *testing.B) {
	c := openTestCatalog(b, b.TempDir())
	defer c.Close()
	ctx := context.Background()
	tok, err := c.EnsureAdminToken(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !c.CheckToken(ctx, tok) {
			b.Fatal("rejected")
		}
	}
}
