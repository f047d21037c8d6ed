package frag

x := 1
