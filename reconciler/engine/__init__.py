"""reconciler.engine"""
