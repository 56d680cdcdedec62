package provision

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/empctl/empctl/pkg/iostreams"
)

// Ask prints question on the error stream and returns the line the user types.
// Ctrl-C while waiting cancels ctx and returns its error.
func Ask(ctx context.Context, ios *iostreams.IOStreams, question string) (string, error) {
	fmt.Fprint(ios.ErrOut, question)
	answer := make(chan string, 1)
	failed := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(ios.In).ReadString('\n')
		if err != nil && err != io.EOF { // EOF (Ctrl-D) is an empty answer: no
			failed <- err
			return
		}
		answer <- strings.TrimSpace(line)
	}()
	select {
	case a := <-answer:
		return a, nil
	case err := <-failed:
		return "", fmt.Errorf("reading the answer: %w", err)
	case <-ctx.Done():
		fmt.Fprintln(ios.ErrOut)
		return "", ctx.Err()
	}
}
