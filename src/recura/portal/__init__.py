"""Subscriber pages, server-rendered and usable without JavaScript where the processor
allows: reached from the signed links in subscriber emails, so no login is needed."""
