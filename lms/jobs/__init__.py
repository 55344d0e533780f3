"""Background jobs: long work (certificate ZIPs, the historical import, programme-wide exports)
runs in the jobs worker, and its page shows a progress bar until the file is ready."""
