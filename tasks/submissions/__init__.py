"""Monthly department submissions (月调度): the template departments fill in, and the reader for what comes back."""
