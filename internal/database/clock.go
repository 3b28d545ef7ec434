package database

import "time"

// timeNow is the clock for bookkeeping columns the database package writes
// itself; features take their clock from app configuration.
var timeNow = time.Now
