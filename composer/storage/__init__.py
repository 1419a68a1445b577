"""composer.storage"""
