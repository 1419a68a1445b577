"""composer.sandbox"""
