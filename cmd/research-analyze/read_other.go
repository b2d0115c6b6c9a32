//go:build !linux

package main

import "io"

func readMapped(io.Reader, int64) ([]byte, func(), error) { return nil, nil, errNoMapping }

func firstMappingSize() int { return 1 << 20 }
