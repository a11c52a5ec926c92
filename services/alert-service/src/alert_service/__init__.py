"""Coupon Pools alert service: stock and runout alerts computed from the event stream."""
