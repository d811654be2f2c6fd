"""Scrapy spiders: one PortalSpider per portal."""
