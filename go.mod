module github.com/dittofs/dittofs

go 1.26
