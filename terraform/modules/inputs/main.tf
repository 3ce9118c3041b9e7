# Nothing is created here: this module only holds the rules an environment's
# settings must follow, so they run offline in terraform test and fail a plan
# before any value reaches AWS.
