package couchbase

import (
	"context"
	"errors"
	"time"

	"github.com/couchbase/gocb/v2"
)

// documents is what Load, Write and Delete ask of Couchbase's data service,
// one document at a time, with gocb's errors: gocbDocuments asks a
// collection, and the unit tests a fake with Couchbase's CAS semantics, so
// that the write logic is tested where no Couchbase Server can run.
type documents interface {
	// get reads the document k; found is false when there is none.
	get(ctx context.Context, k string) (r raw, found bool, err error)
	// insert creates the document k, and fails with
	// gocb.ErrDocumentExists when there is one.
	insert(ctx context.Context, k string, doc []byte, expiry time.Duration) error
	// replace replaces the document k if its CAS is still cas, and fails
	// with gocb.ErrCasMismatch when it is not and gocb.ErrDocumentNotFound
	// when it is gone. The expiry is always given: a replace without one
	// would make the document never expire.
	replace(ctx context.Context, k string, doc []byte, cas gocb.Cas, expiry time.Duration) error
	// remove deletes the document k, and fails with
	// gocb.ErrDocumentNotFound when there is none.
	remove(ctx context.Context, k string) error
}

// raw is a document read with its CAS.
type raw struct {
	value []byte
	cas   gocb.Cas
}

// gocbDocuments are the documents of a gocb collection, read and written
// as raw JSON bytes, so that a scope's data is stored byte for byte.
type gocbDocuments struct {
	coll       *gocb.Collection
	transcoder gocb.Transcoder
}

func (d gocbDocuments) get(ctx context.Context, k string) (raw, bool, error) {
	res, err := d.coll.Get(k, &gocb.GetOptions{Context: ctx, Transcoder: d.transcoder})
	if errors.Is(err, gocb.ErrDocumentNotFound) {
		return raw{}, false, nil
	}
	if err != nil {
		return raw{}, false, err
	}
	var value []byte
	if err := res.Content(&value); err != nil {
		return raw{}, false, err
	}
	return raw{value: value, cas: res.Cas()}, true, nil
}

func (d gocbDocuments) insert(ctx context.Context, k string, doc []byte, expiry time.Duration) error {
	_, err := d.coll.Insert(k, doc, &gocb.InsertOptions{Context: ctx, Transcoder: d.transcoder, Expiry: expiry})
	return err
}

func (d gocbDocuments) replace(ctx context.Context, k string, doc []byte, cas gocb.Cas, expiry time.Duration) error {
	_, err := d.coll.Replace(k, doc, &gocb.ReplaceOptions{Context: ctx, Transcoder: d.transcoder, Expiry: expiry, Cas: cas})
	return err
}

func (d gocbDocuments) remove(ctx context.Context, k string) error {
	_, err := d.coll.Remove(k, &gocb.RemoveOptions{Context: ctx})
	return err
}
