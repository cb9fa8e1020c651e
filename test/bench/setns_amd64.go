package bench

// sysSetns is setns(2)'s system call number on linux/amd64.
const sysSetns = 308
