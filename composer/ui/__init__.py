"""composer.ui"""
