package s3sync

// SetListRanges makes listings split into ranges of size keys, asking for
// slack more, for the test.
func SetListRanges(size, slack int) (restore func()) {
	oldSize, oldSlack := rangeSize, rangeSlack
	rangeSize, rangeSlack = size, slack
	return func() { rangeSize, rangeSlack = oldSize, oldSlack }
}
